"""Custom Rasa actions: thin adapters over knowledge/, routing/ and touchpoints/."""
