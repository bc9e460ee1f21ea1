# incident
