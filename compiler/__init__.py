"""strata: compile layered ML-platform specs into Helm values and Kubernetes manifests.

Stages (one module each, one entry point each):
discover → load → merge → validate → render → write.  See ARCHITECTURE.md.
"""
__version__ = "0.1.0"
