"""Blueprints: search, interventions, studies, browse (target groups, outcomes, map)."""
