"""The Reports page: the subscriptions a user receives or manages, their form, pause,
delete and "send me a test now"; and the mail's one-click unsubscribe (no login)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from core.localtime import local_today
from core.roles import AGENT, MANAGER, SUPERVISOR, has_role, role_required
from reports import selectors, services
from reports.forms import SubscriptionForm
from reports.models import ReportSubscription

ROLES = (MANAGER, SUPERVISOR, AGENT)


def _mine(request, pk) -> ReportSubscription:
    """A subscription the user may change: a manager any, others those they receive or
    made; anything else is a 404."""
    return get_object_or_404(selectors.subscriptions_for(request.user), pk=pk)


@login_required
@role_required(*ROLES)
def report_list(request):
    rows = selectors.subscriptions_for(request.user).prefetch_related("deliveries")
    return render(request, "reports/list.html", {"subscriptions": rows})


@login_required
@role_required(*ROLES)
def report_edit(request, pk=None):
    subscription = _mine(request, pk) if pk else None
    initial = {}
    if subscription is None:
        initial = {"recipient": request.user, "send_time": "07:00"}
        login = selectors.own_agent_login(request.user)
        if login and not has_role(request.user, MANAGER, SUPERVISOR):
            initial.update(kind="agent", params=f"agent={login}")
    form = SubscriptionForm(
        request.POST or None, instance=subscription, initial=initial, actor=request.user
    )
    if request.method == "POST" and form.is_valid():
        services.save_subscription(form.instance, request.user)
        messages.success(request, f"Saved: {form.instance}.")
        return redirect("reports:list")
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "subscription": subscription}
    return render(request, "reports/edit.html", context, status=status)


@login_required
@role_required(*ROLES)
@require_POST
def report_active(request, pk):
    subscription = _mine(request, pk)
    services.set_active(subscription, request.POST.get("active") == "1")
    return redirect("reports:list")


@login_required
@role_required(*ROLES)
@require_POST
def report_delete(request, pk):
    subscription = _mine(request, pk)
    subscription.delete()
    messages.success(request, f"Deleted: {subscription}.")
    return redirect("reports:list")


@login_required
@role_required(*ROLES)
@require_POST
def report_test(request, pk):
    """Send the report now as it would go next (its last full period) to its recipient."""
    subscription = _mine(request, pk)
    problem = selectors.access_problem(
        subscription.recipient, subscription.kind, subscription.params
    )
    if problem or not subscription.recipient.email:
        messages.error(request, f"Not sent: {problem or 'the recipient has no e-mail address'}.")
        return redirect("reports:list")
    first, last = selectors.period_of(subscription.frequency, local_today())
    services.send_test(subscription, first, last)
    messages.success(request, f"Test sent to {subscription.recipient.email}.")
    return redirect("reports:list")


def unsubscribe(request, token):
    """GET shows what the link stops and a button; POST stops it. No login: the token
    is the key, and it opens only its own subscription."""
    subscription = get_object_or_404(ReportSubscription, token=token)
    if request.method == "POST":
        services.unsubscribe(token)
        return render(request, "reports/unsubscribed.html", {"subscription": subscription})
    return render(request, "reports/unsubscribe.html", {"subscription": subscription})
