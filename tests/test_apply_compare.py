"""Desired versus live through strata's managedFields, on objects shaped as a real API server
returns them (FieldsV1 tries written by hand, independent of the test double)."""
from __future__ import annotations

from compiler.apply.compare import compare, equal, quantity
from compiler.plan.model import ABSENT, FieldChange


def entry(manager, fields, operation="Apply"):
    return {"manager": manager, "operation": operation, "apiVersion": "v1", "fieldsType": "FieldsV1", "fieldsV1": fields}


SERVICE_FIELDS = {"f:metadata": {"f:labels": {"f:app": {}}},
                  "f:spec": {"f:ports": {'k:{"port":80,"protocol":"TCP"}': {".": {}, "f:name": {}, "f:port": {}}}}}


def service(port_name="http", extra_port=False, managed=None):
    ports = [{"name": port_name, "port": 80, "protocol": "TCP", "targetPort": 80}]
    if extra_port:
        ports.append({"name": "metrics", "port": 9090, "protocol": "TCP", "targetPort": 9090})
    return {"apiVersion": "v1", "kind": "Service",
            "metadata": {"name": "web", "namespace": "a", "labels": {"app": "web"}, "resourceVersion": "9",
                         "managedFields": managed or [entry("strata", SERVICE_FIELDS)]},
            "spec": {"ports": ports, "clusterIP": "10.0.0.1", "type": "ClusterIP"}}


DESIRED = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "a", "labels": {"app": "web"}},
           "spec": {"ports": [{"name": "http", "port": 80}]}}


def test_defaults_and_fields_of_others_are_not_differences():
    found = compare(DESIRED, service(extra_port=True))        # protocol, clusterIP, targetPort, another port
    assert found.same, found


def test_a_changed_value_is_reported_with_the_manager_that_owns_it_now():
    managed = [entry("strata", {"f:metadata": {"f:labels": {"f:app": {}}},
                                "f:spec": {"f:ports": {'k:{"port":80,"protocol":"TCP"}': {".": {}, "f:port": {}}}}}),
               entry("kubectl-edit", {"f:spec": {"f:ports": {'k:{"port":80,"protocol":"TCP"}': {"f:name": {}}}}},
                     "Update")]
    found = compare(DESIRED, service(port_name="web", managed=managed))
    assert found.changes == [FieldChange("/spec/ports/0/name", "web", "http")]
    assert found.owners == {"/spec/ports/0/name": ("kubectl-edit",)}
    assert found.unowned == 1


def test_a_field_strata_set_before_and_dropped_now_is_a_removal():
    desired = {**DESIRED, "metadata": {"name": "web", "namespace": "a"}}
    found = compare(desired, service())
    assert found.changes == [FieldChange("/metadata/labels", {"app": "web"}, ABSENT)]


def test_a_new_field_is_an_addition_not_yet_managed():
    desired = {**DESIRED, "spec": {**DESIRED["spec"], "sessionAffinity": "ClientIP"}}
    found = compare(desired, service())
    assert found.changes == [FieldChange("/spec/sessionAffinity", ABSENT, "ClientIP")]


def test_an_object_strata_never_applied_is_owned_by_nobody_yet():
    found = compare(DESIRED, service(managed=[entry("kubectl-create", SERVICE_FIELDS, "Update")]))
    assert not found.changes and found.unowned > 0 and not found.same


def test_quantities_compare_by_value_where_the_server_canonicalises_them():
    assert quantity("500m") == quantity("0.5") == quantity(0.5)
    assert quantity("1Gi") == quantity("1024Mi")
    assert equal({"limits": {"cpu": "0.5", "memory": "1024Mi"}}, {"limits": {"cpu": "500m", "memory": "1Gi"}})
    assert equal({"hard": {"nvidia.com/gpu": 8}}, {"hard": {"nvidia.com/gpu": "8"}})
    assert not equal({"env": [{"value": "1"}]}, {"env": [{"value": 1}]})        # not a quantity field
    assert not equal({"limits": {"cpu": "1"}}, {"limits": {"cpu": "2"}})
