"""Use cases that sequence the ports: planning, provisioning, images, releases."""
