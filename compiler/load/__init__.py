"""Stages 1-2, discover and load: spec files to `Value` trees with source positions."""
