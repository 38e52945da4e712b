"""CRM: tags, rules, segments, scores (issue 13); complaints and campaigns."""
