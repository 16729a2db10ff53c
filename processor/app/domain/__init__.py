"""The Processor's rules: functions over rows the unit of work has already loaded.

No session, no I/O: nothing here imports SQLAlchemy, httpx, grpc or aiokafka (a test checks).
Rows arrive as the protocols in rows.py, which the store's tables satisfy; what the rules need
from the outside world (road distances, a carrier for notices) is a port defined here.
"""
