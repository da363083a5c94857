"""What the resources of one agreement share, and the answer for an address the API lacks."""

from rest_framework.exceptions import NotFound
from rest_framework.views import APIView

from api.base import ApiViewSet, paginated
from negotiations import permissions


def can_steer(view, agreement) -> bool:
    """Set up and keep the agreement: its rounds, groups, chapters, meetings and deadlines."""
    return permissions.can_manage_agreement(view.request.user, agreement.pk)


class AgreementPartViewSet(ApiViewSet):
    """A record that belongs to one agreement, listed under it and changed by those who steer
    it (unless a subclass says otherwise)."""

    agreement_path = "agreement"

    def base_queryset(self):
        return self.queryset.model.objects.all()

    def get_queryset(self):
        if self.agreement is None:
            return self.queryset
        return self.base_queryset().filter(**{self.agreement_path: self.agreement})

    def detail_queryset(self):
        return self.base_queryset()

    def agreement_of(self, obj):
        return obj.agreement

    def can_view(self, user, obj):
        return permissions.can_view_agreement(user, self.agreement_of(obj).pk)

    def list(self, request, slug):
        self.load_agreement()
        return paginated(self, self.filter_queryset(self.get_queryset()))

    def retrieve(self, request, pk):
        return self.answer(self.get_object())


class NotFoundView(APIView):
    """Whatever is asked at an address the API does not have: 404, as a problem."""

    schema = None

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        raise NotFound
