"""Priority booking quotas and the requests made against them."""
