"""Django's own form messages that its Khmer catalogue does not translate yet. Marked here so
that makemessages carries them into the project's catalogues, which Django reads before its
own (LOCALE_PATHS): a Khmer reader is then not told "Enter a valid email address." in English.
Nothing imports this module; its strings are what matters."""

from django.utils.translation import gettext_noop

DJANGO_MESSAGES = [
    gettext_noop("Enter a valid email address."),
    gettext_noop("Enter a valid URL."),
    gettext_noop("Enter a valid date."),
    gettext_noop("Enter a valid time."),
    gettext_noop("Enter a whole number."),
    gettext_noop("Select a valid choice. That choice is not one of the available choices."),
    gettext_noop("- Select an option -"),
]
