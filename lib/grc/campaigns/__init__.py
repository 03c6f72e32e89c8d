"""Campaigns: qualified target files under the channel rules."""
