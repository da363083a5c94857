import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()

# With DEBUG off and a secret key anyone can know, stop here rather than serve.
from accounts.checks import refuse_to_serve_insecurely  # noqa: E402

refuse_to_serve_insecurely()
