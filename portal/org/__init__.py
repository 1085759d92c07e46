"""Branches (分公司) and their sales offices (营业部)."""
