"""HTTP side of the contact-centre platforms: /integrations/* events, rule mappings, recovery breaks."""
