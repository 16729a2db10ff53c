"""The Kubernetes manifests: valid for the target cluster version (strict), probes, limits, hardening."""
from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from shared.auth import Role, TokenSigner

ROOT = Path(__file__).resolve().parents[2]
MANIFESTS = sorted((ROOT / "deployment" / "kubernetes").glob("*.yaml"))
# Apart from MANIFESTS: they need the Prometheus Operator's CRDs, which `kubectl apply -f` of the
# directory must not depend on.
OPERATOR_MANIFESTS = sorted((ROOT / "deployment" / "kubernetes" / "prometheus-operator").glob("*.yaml"))
TARGET = "1.33.0"


def resources() -> list[dict]:
    return [doc for path in MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]


def test_manifests_pass_strict_validation():
    validate = Path(sys.executable).with_name("kubernetes-validate")
    result = subprocess.run([str(validate), "--strict", "-k", TARGET, *map(str, MANIFESTS)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("passed") == len(resources())


def test_deployments_are_probed_bounded_and_hardened():
    docs = resources()
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    assert set(deployments) == {"dcent-processor", "dcent-requestor"}
    for deployment in deployments.values():
        pod = deployment["spec"]["template"]["spec"]
        container = pod["containers"][0]
        assert container["readinessProbe"] and container["livenessProbe"]["httpGet"]["path"] == "/health"
        assert container["resources"]["requests"] and container["resources"]["limits"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert container["securityContext"]["readOnlyRootFilesystem"] is True
        assert container["securityContext"]["capabilities"]["drop"] == ["ALL"]
        assert pod["terminationGracePeriodSeconds"] > float(config["GRPC_GRACE_SECONDS"]) + 10
    processor = deployments["dcent-processor"]["spec"]["template"]["spec"]["containers"][0]
    assert processor["readinessProbe"]["grpc"]["port"] == 50052  # the native gRPC probe, plaintext health port
    kinds = {(d["kind"], d["metadata"]["name"]) for d in docs}
    assert {("PodDisruptionBudget", "dcent-processor"), ("PodDisruptionBudget", "dcent-requestor"),
            ("HorizontalPodAutoscaler", "dcent-processor")} <= kinds


def test_each_deployment_passes_the_production_profile_once_its_secrets_are_filled_in(monkeypatch):
    """The manifests set everything the production profile demands (TLS, tokens, Kafka over TLS);
    only the Secret's CHANGE-ME placeholders are left to the operator — and refused as they are."""
    from processor.app.config import ProcessorSettings
    from requestor.app.config import RequestorSettings

    docs = resources()
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    secret = next(d for d in docs if d["kind"] == "Secret")["stringData"]

    # What an operator puts in place of each CHANGE-ME: a different generated secret each, and the
    # service token signed with the Processor's keys.
    filled_secret = {key: re.sub("CHANGE-ME", lambda _: secrets.token_urlsafe(32), value)
                     for key, value in secret.items()}
    processor_keys = TokenSigner(json.loads(filled_secret["PROCESSOR_AUTH_TOKEN_SECRETS"]))
    filled_secret["PROCESSOR_AUTH_TOKEN"] = processor_keys.issue(Role.SERVICE, "requestor", ttl_seconds=8760 * 3600)

    def environment(deployment: str, filled: bool) -> dict[str, str]:
        doc = next(d for d in docs if d["kind"] == "Deployment" and d["metadata"]["name"] == deployment)
        env = dict(config)
        for item in doc["spec"]["template"]["spec"]["containers"][0]["env"]:
            env[item["name"]] = item.get("value") or (filled_secret if filled else secret)[
                item["valueFrom"]["secretKeyRef"]["key"]]
        return env

    for deployment, settings in (("dcent-processor", ProcessorSettings), ("dcent-requestor", RequestorSettings)):
        for filled in (True, False):
            with monkeypatch.context() as patch:
                for name, value in environment(deployment, filled).items():
                    patch.setenv(name, value)
                if filled:
                    assert settings(_env_file=None).auth_required
                else:
                    with pytest.raises(ValueError, match="production profile refuses"):
                        settings(_env_file=None)


def test_both_services_scale_out_and_grpc_is_balanced_over_every_processor():
    """Issue 16: Requestors run as several replicas too, and reach every Processor pod through a
    headless Service's DNS records (round_robin), not one pod per connection behind a virtual IP."""
    docs = resources()
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    assert all(d["spec"]["replicas"] >= 2 for d in deployments.values())
    budgets = {d["spec"]["selector"]["matchLabels"]["app.kubernetes.io/name"] for d in docs
               if d["kind"] == "PodDisruptionBudget"}
    assert budgets == set(deployments)
    headless = [d for d in docs if d["kind"] == "Service" and d["spec"].get("clusterIP") == "None"]
    assert [h["metadata"]["name"] for h in headless] == ["dcent-processor-grpc"]
    config = next(d for d in docs if d["kind"] == "ConfigMap")["data"]
    assert config["PROCESSOR_GRPC_TARGET"] == "dns:///dcent-processor-grpc.dcent.svc.cluster.local:50051"



def test_both_services_are_scraped_for_metrics():
    """Issue 18: each pod says where its GET /metrics is (prometheus.io annotations, for a plain
    Prometheus); for the Prometheus Operator, a ServiceMonitor per service selects that service's
    Service by a port it has, so the job label is the service's name (the alerts group by it)."""
    docs = resources()
    deployments = {d["metadata"]["name"]: d for d in docs if d["kind"] == "Deployment"}
    for deployment in deployments.values():
        template = deployment["spec"]["template"]
        http = next(p for p in template["spec"]["containers"][0]["ports"] if p["name"] == "http")
        assert template["metadata"]["annotations"] == {
            "prometheus.io/scrape": "true", "prometheus.io/port": str(http["containerPort"]),
            "prometheus.io/path": "/metrics"}
    services = [d for d in docs if d["kind"] == "Service"]
    monitors = [doc for path in OPERATOR_MANIFESTS for doc in yaml.safe_load_all(path.read_text()) if doc]
    assert {m["metadata"]["name"] for m in monitors} == set(deployments)
    for monitor in monitors:
        assert (monitor["apiVersion"], monitor["kind"]) == ("monitoring.coreos.com/v1", "ServiceMonitor")
        spec = monitor["spec"]
        [endpoint] = spec["endpoints"]
        assert endpoint["path"] == "/metrics"
        scraped = [s["metadata"]["name"] for s in services
                   if s["metadata"]["namespace"] in spec["namespaceSelector"]["matchNames"]
                   and spec["selector"]["matchLabels"].items() <= s["metadata"]["labels"].items()
                   and any(p["name"] == endpoint["port"] for p in s["spec"]["ports"])]
        assert scraped == [monitor["metadata"]["name"]]
