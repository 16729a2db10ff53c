"""`make demo` (`python -m scripts.demo`): the stack, a population of simulated sellers, and a
few orders to watch.

Open the buyer page it prints: proposals stream in as the simulated sellers answer.
"""
from __future__ import annotations

import sys
import time
import uuid

import httpx

from devtools.service_process import ServiceProcess
from scripts.run_stack import PROCESSOR_PORT, REQUESTOR_PORT, ROOT, banner, parse_arguments, start_stack, supervise

ORDERS = [
    {"Industry": "construction", "Location": {"lat": 40.7128, "lng": -74.006}, "Description": "Steel beams, 40 pcs"},
    {"Industry": "food", "Location": {"lat": 41.8781, "lng": -87.6298}, "Description": "Catering for 300"},
    {"Industry": "logistics", "Location": {"lat": 34.0522, "lng": -118.2437}, "Description": "Two 40ft containers"},
]


def main() -> int:
    parse_arguments(__doc__)
    stack = start_stack()
    kafka = ["--kafka", stack.kafka] if stack.kafka else ["--no-kafka"]
    stack.add(ServiceProcess(
        "simulator",
        [sys.executable, "-m", "simulator.main", "--processor", f"http://127.0.0.1:{PROCESSOR_PORT}", *kafka],
        env={"PYTHONPATH": str(ROOT)}, ready_url=f"http://127.0.0.1:{PROCESSOR_PORT}/health",
    )).start()
    time.sleep(1.5)  # the simulator subscribes to SELLER_NOTIFY before the first invitation
    run = uuid.uuid4().hex[:4].upper()
    with httpx.Client(base_url=f"http://127.0.0.1:{REQUESTOR_PORT}") as buyer:
        for n, details in enumerate(ORDERS, 1):
            body = {"OrderReqId": f"DEMO-{run}-{n}", "SessionID": "SESSION-DEMO", "Notification type": "GChat",
                    **details}
            buyer.post("/api/v1/initiate", json=body).raise_for_status()
    return supervise(stack, banner(stack) + f"Demo orders DEMO-{run}-1..3: open the buyer page and watch.\n")


if __name__ == "__main__":
    sys.exit(main())
