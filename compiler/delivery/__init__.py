"""Delivery: how an environment's rendered output reaches its clusters (docs/delivery.md).

- `settings.py`: the `delivery:` settings with their defaults, and their checks (merge stage);
- `annotate.py`: what the engine needs on each rendered object (render stage);
- `groups.py`, `argocd.py`, `flux.py`, `health/`: the delivery target of an environment
  delivered by Argo CD or Flux, `out/_delivery/<engine>/<env>/` (`target.py`, after render);
- `publish/`: `strata publish`, the environment branch written with git plumbing.
"""
