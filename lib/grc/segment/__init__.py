"""Segmentation: common segments, derived criteria, behavioural groups."""
