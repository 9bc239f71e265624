"""Stage 3, merge: environments, projects and targets, merged with provenance."""
