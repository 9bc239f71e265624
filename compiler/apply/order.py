"""Apply's order: the object-kind table lives in compiler/order.py, shared with the delivery engines."""
from compiler.order import (
    DATA,
    DATA_KINDS,
    NAMESPACES,
    PREREQUISITES,
    PROJECT_SETUP,
    RANKS,
    RUNS,
    SERVICES,
    apply_rank,
    crd_name,
    group_of,
    holds_data,
    stage_of,
)

__all__ = ["DATA", "DATA_KINDS", "NAMESPACES", "PREREQUISITES", "PROJECT_SETUP", "RANKS", "RUNS", "SERVICES",
           "apply_rank", "crd_name", "group_of", "holds_data", "stage_of"]
