"""What a corporate travel booker does in self-service: its travellers, feedback, history and
monthly statements. The company is always the booker's own (user.company_id)."""
