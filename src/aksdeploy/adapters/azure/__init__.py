"""Azure Resource Manager and Entra ID, through azure-identity and the azure-mgmt pipelines."""
