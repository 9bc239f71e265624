"""GPU capacity: demand computed from the rendered objects (docs/capacity.md).

    demand.py    one rule per kind: an object → its GPUs per pool, fewest and most at once
    workflow.py  Argo: the most GPUs a run holds at once; how many runs of a schedule overlap
    gpus.py      a pod's GPUs and the pool it lands in
"""
