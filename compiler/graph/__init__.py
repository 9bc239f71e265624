"""The target graph: references between targets and the input files each depends on."""
