"""k8s/fakeexports.yaml, the Kubernetes shape of a fleet (issue 21), checked offline against the Kubernetes schemas
by kubernetes-validate (a test dependency). What this does not test: a cluster running it."""

from __future__ import annotations

from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
DOCS = list(yaml.safe_load_all((ROOT / "k8s" / "fakeexports.yaml").read_text()))


@pytest.mark.parametrize("doc", DOCS, ids=[d["kind"] for d in DOCS])
def test_the_manifest_is_valid_kubernetes(doc: dict[str, object]) -> None:
    kubernetes_validate.validate(doc, "1.30", strict=True)


def test_the_validator_refuses_a_misspelt_field() -> None:
    sts = {**next(d for d in DOCS if d["kind"] == "StatefulSet")}
    sts["spec"] = {**sts["spec"], "replicaz": 3}  # type: ignore[dict-item]
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(sts, "1.30", strict=True)


def test_the_statefulset_serves_on_its_headless_service_with_a_volume_per_server() -> None:
    service = next(d for d in DOCS if d["kind"] == "Service")
    sts = next(d for d in DOCS if d["kind"] == "StatefulSet")
    assert service["spec"]["clusterIP"] == "None" and sts["spec"]["serviceName"] == service["metadata"]["name"]
    container = sts["spec"]["template"]["spec"]["containers"][0]
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["FAKEEXPORTS_STATE"].startswith(container["volumeMounts"][0]["mountPath"] + "/")
    assert [t["metadata"]["name"] for t in sts["spec"]["volumeClaimTemplates"]] == [
        container["volumeMounts"][0]["name"]]
    assert container["readinessProbe"]["httpGet"]["path"] == "/_fakeexports/health"
