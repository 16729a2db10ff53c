"""The Requestor's REST bodies: requests (requests.py) and the buyer's views (views.py)."""
