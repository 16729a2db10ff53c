"""The Grafana dashboard and the Prometheus alerting rules (issue 18): well formed, every rule with
its runbook in docs/operations.md, and every metric they query exported by the services as they
run — a metric renamed in the code breaks this test, not a dashboard panel in production."""
from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.requestor.test_api import SEED_INITIATE, SEED_PROPOSAL, has_proposal, until

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "deployment" / "grafana" / "dcent-communicator.json"
ALERTS = ROOT / "deployment" / "prometheus" / "alerts.yaml"
OPERATIONS = ROOT / "docs" / "operations.md"
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
SEVERITIES = {"warning", "critical"}
# Labels Prometheus puts on every series it scrapes: no service exports them.
TARGET_LABELS = {"job", "instance", "namespace"}
# Sample names each metric type puts on the wire, after its family's name.
WIRE_SUFFIXES = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count"),
                 "summary": ("", "_sum", "_count"), "unknown": ("",)}
PROMQL_WORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "offset",
                "bool", "inf", "nan"}


def dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def query_panels(board: dict) -> list[dict]:
    """Every panel that queries; rows only group them (a collapsed row holds its panels)."""
    panels = []
    for panel in board["panels"]:
        if panel["type"] == "row":
            panels += panel.get("panels", [])
        else:
            panels.append(panel)
    return panels


def rules() -> list[dict]:
    return [rule for group in yaml.safe_load(ALERTS.read_text())["groups"] for rule in group["rules"]]


def expressions() -> list[tuple[str, str]]:
    """(where, PromQL) for every query of the dashboard (its variables' too) and every rule."""
    board = dashboard()
    found = [(f"panel {panel['title']!r}", target["expr"]) for panel in query_panels(board)
             for target in panel["targets"]]
    found += [(f"variable ${v['name']}", v["query"]) for v in board["templating"]["list"] if v["type"] == "query"]
    return found + [(f"alert {rule['alert']}", rule["expr"]) for rule in rules()]


def github_anchor(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def without_strings(expr: str) -> str:
    """Label values and regexes can hold anything ({order_req_id} in a route): out of the way first."""
    return re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL (or Grafana label_values) query reads: the identifiers left once
    strings, label matchers, ranges, label lists, Grafana variables and function calls are out."""
    expr = without_strings(expr)
    expr = re.sub(r"\{[^}]*\}", "", expr)
    expr = re.sub(r"\[[^\]]*\]", "", expr)
    expr = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", expr)
    expr = re.sub(r"label_values\(\s*([\w:]+)\s*,\s*\w+\s*\)", r"\1", expr)
    expr = re.sub(r"\$\{?\w+\}?", "", expr)
    names = re.findall(r"(?<![\w.$])[a-zA-Z_:][\w:]*(?![\w:])(?!\s*\()", expr)
    return {name for name in names if name not in PROMQL_WORDS}


def labels_named(expr: str) -> set[str]:
    """Label names the query filters or groups by (le: the histogram buckets')."""
    expr = without_strings(expr)
    matched = {name for matchers in re.findall(r"\{([^}]*)\}", expr)
               for name in re.findall(r"(\w+)\s*(?:=~|!~|!=|=)", matchers)}
    grouped = {name.strip() for labels in re.findall(r"\b(?:by|without|on|ignoring)\s*\(([^)]*)\)", expr)
               for name in labels.split(",") if name.strip()}
    return matched | grouped


def family_of(name: str) -> str:
    return re.sub(r"_(bucket|sum|count|total)$", "", name)


def test_metric_names_are_read_from_promql_as_intended():
    expr = ('histogram_quantile(0.99, sum by (job, le) (rate(http_request_duration_seconds_bucket'
            '{route!="/api/v1/orders/{order_req_id}/events", job=~"$job"}[$__rate_interval]))) > 2'
            ' or max by (job) (deriv(dcent_outbox_backlog[10m:1m])) > 1e3')
    assert metric_names(expr) == {"http_request_duration_seconds_bucket", "dcent_outbox_backlog"}
    assert labels_named(expr) == {"route", "job", "le"}
    assert metric_names('label_values(dcent_outbox_relay_leading{job=~"$job"}, instance)') == {
        "dcent_outbox_relay_leading"}


def test_the_dashboard_queries_prometheus_through_its_datasource_variable():
    board = dashboard()
    assert 36 <= board["schemaVersion"] <= 41 and board["uid"] and board["title"]
    variables = {v["name"]: v for v in board["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource" and variables["datasource"]["query"] == "prometheus"
    assert {"job", "instance"} <= set(variables)
    panels = query_panels(board)
    ids = [p["id"] for p in board["panels"] if p["type"] == "row"] + [p["id"] for p in panels]
    assert len(set(ids)) == len(ids)
    assert len({p["title"] for p in panels}) == len(panels)
    for panel in panels:
        assert panel["datasource"] == DATASOURCE, panel["title"]
        assert panel["targets"], panel["title"]
        assert len({t["refId"] for t in panel["targets"]}) == len(panel["targets"]), panel["title"]
        for target in panel["targets"]:
            assert target["datasource"] == DATASOURCE and target["expr"].strip(), panel["title"]
    for variable in variables.values():
        if variable["type"] == "query":
            assert variable["datasource"] == DATASOURCE, variable["name"]
    # Laid out on Grafana's 24-column grid without overlapping.
    cells: set[tuple[int, int]] = set()
    for panel in board["panels"]:
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24, panel["title"]
        x, y, w, h = grid["x"], grid["y"], grid["w"], grid["h"]
        mine = {(column, line) for column in range(x, x + w) for line in range(y, y + h)}
        assert not cells & mine, f"{panel['title']} overlaps another panel"
        cells |= mine


def test_every_dashboard_panel_is_explained_in_the_operations_doc():
    text = OPERATIONS.read_text()
    missing = [panel["title"] for panel in query_panels(dashboard()) if panel["title"] not in text]
    assert not missing, f"docs/operations.md does not explain these panels: {missing}"


def test_alert_rules_follow_the_rule_file_schema():
    document = yaml.safe_load(ALERTS.read_text())
    assert set(document) == {"groups"} and document["groups"]
    names = [group["name"] for group in document["groups"]]
    assert all(isinstance(n, str) and n for n in names) and len(set(names)) == len(names)
    alerts = []
    for group in document["groups"]:
        assert group["rules"], group["name"]
        for rule in group["rules"]:
            assert set(rule) <= {"alert", "expr", "for", "labels", "annotations", "keep_firing_for"}, rule
            assert re.fullmatch(r"Dcent[A-Z]\w+", rule["alert"]), rule["alert"]
            assert isinstance(rule["expr"], str) and rule["expr"].strip(), rule["alert"]
            assert re.fullmatch(r"(\d+[smhdwy])+", str(rule["for"])), rule["alert"]
            assert rule["labels"]["severity"] in SEVERITIES, rule["alert"]
            annotations = rule["annotations"]
            assert annotations["summary"].strip() and annotations["description"].strip(), rule["alert"]
            assert annotations["runbook_url"].startswith("docs/operations.md#"), rule["alert"]
            alerts.append(rule["alert"])
    assert len(set(alerts)) == len(alerts)
    # What issue 18 asks the alerts to watch.
    watched = " ".join(rule["expr"] for rule in rules())
    for metric in ("dcent_outbox_oldest_unsent_age_seconds", "dcent_outbox_backlog", "dcent_order_stream_reconnects",
                   "dcent_chat_notices", "http_requests_total", "http_request_duration_seconds_bucket",
                   "dcent_outbox_publish_errors", "dcent_outbox_relay_leading", "grpc_server_handled"):
        assert metric in watched, metric


def test_every_runbook_url_is_a_section_of_the_operations_doc():
    prose = re.sub(r"^```.*?^```", "", OPERATIONS.read_text(), flags=re.MULTILINE | re.DOTALL)  # not a shell comment
    headings = re.findall(r"^#{1,6}\s+(.+?)\s*$", prose, flags=re.MULTILINE)
    anchors = {github_anchor(heading) for heading in headings}
    assert "metrics-dashboard-and-alerts" in anchors
    for rule in rules():
        path, _, anchor = rule["annotations"]["runbook_url"].partition("#")
        assert (ROOT / path).resolve() == OPERATIONS, rule["alert"]
        assert anchor in anchors, f"{rule['alert']}: no heading of docs/operations.md has the anchor #{anchor}"


@pytest.mark.timeout(600)  # the first run may install Debian's prometheus package
def test_promtool_accepts_the_rules():
    installed = subprocess.run(["sh", str(ROOT / "scripts" / "ensure_debian_tool.sh"), "promtool", "prometheus"],
                               capture_output=True, text=True)
    if installed.returncode != 0:
        message = ("promtool is not installed and could not be (scripts/ensure_debian_tool.sh promtool prometheus): "
                   + installed.stderr.strip())
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    checked = subprocess.run(["promtool", "check", "rules", str(ALERTS)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert f"SUCCESS: {len(rules())} rules found" in checked.stdout


@pytest.mark.parametrize("db_backend", ["sqlite"], indirect=True)  # the names do not depend on the database
async def test_every_metric_the_dashboard_and_the_alerts_query_is_exported(requestor, processor):
    # The seed flow, so that labelled families (gRPC calls, HTTP routes) have samples to show their labels.
    assert (await requestor.http.post("/api/v1/initiate", json=SEED_INITIATE)).status_code == 202
    assert (await processor.http.post("/api/v1/proposal-submissions", json=SEED_PROPOSAL)).status_code == 201
    await until(lambda: has_proposal(requestor, "PROP-001"))

    wire: dict[str, str] = {}  # a sample name as Prometheus stores it → its family
    labels: dict[str, set[str]] = {}  # a family → the label names its samples carry
    for service in (processor, requestor):
        response = await service.http.get("/metrics")
        assert response.status_code == 200
        for family in text_string_to_metric_families(response.text):
            for suffix in WIRE_SUFFIXES[family.type]:
                wire[family.name + suffix] = family.name
            labels.setdefault(family.name, set()).update(name for s in family.samples for name in s.labels)

    missing, unlabelled = [], []
    for where, expr in expressions():
        used = metric_names(expr)
        missing += [f"{where}: {name} (family {family_of(name)})" for name in sorted(used - set(wire))]
        known = set().union(*(labels[wire[name]] for name in used if name in wire))
        unlabelled += [f"{where}: label {name}" for name in sorted(labels_named(expr) - known - TARGET_LABELS)]
    assert not missing, "not exported by either service on GET /metrics:\n" + "\n".join(missing)
    assert not unlabelled, "no exported sample of the metrics queried has:\n" + "\n".join(unlabelled)
