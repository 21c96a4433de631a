"""gunicorn settings for the container: every path it writes is under /tmp (the root filesystem is read-only)."""

import os

bind = f"{os.environ.get('HOST', '0.0.0.0')}:{os.environ.get('PORT', '8000')}"  # all interfaces in a pod; HOST=127.0.0.1 on a shared host network
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
worker_tmp_dir = "/tmp"
accesslog = "-"
# Application Gateway is the only client; trust its X-Forwarded-* headers (network policy admits nothing else).
forwarded_allow_ips = "*"
# Give in-flight requests time to finish after the preStop delay, within terminationGracePeriodSeconds.
graceful_timeout = 25
# The runtime control socket (gunicorn 24+) is not needed in a container.
control_socket_disable = True
