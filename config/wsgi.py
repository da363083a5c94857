import gc
import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# With DEBUG off and a secret key anyone can know, stop here rather than serve.
from accounts.checks import refuse_to_serve_insecurely  # noqa: E402

refuse_to_serve_insecurely()

# What is loaded by now (Django, the apps, their modules and settings) lives as long as the
# process: the garbage collector need not walk it again at each full collection.
gc.freeze()
