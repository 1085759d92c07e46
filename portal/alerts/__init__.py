"""Early warnings on companies: churn risk and roster compliance."""
