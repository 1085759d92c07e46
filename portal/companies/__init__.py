"""Agreement companies and their electronic dossier (电子档案)."""
