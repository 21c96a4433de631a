"""aksdeploy: stand up and ship a Django app on AKS behind Application Gateway WAF_v2, from one config file."""

__version__ = "0.1.0"
