"""Scorecards are written in the admin: a scorecard (Scorecard), its current version's
sections (ScorecardVersion, sections inline) and each section's questions (Section,
questions inline). Only a scorecard's current version can be changed. Changing a version
that evaluations or calibrations already use saves the change to a new version instead
(quality.versions.editable_version), so old evaluations keep the form they were scored on;
a message names the new version (docs/quality.md, "Scorecards and versions")."""

from django import forms
from django.contrib import admin, messages
from django.db import models
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html

from interactions.models import Channel
from quality import versions
from quality.models import (
    CoachingSession,
    Evaluation,
    Question,
    Scorecard,
    ScorecardVersion,
    Section,
)


class ScorecardForm(forms.ModelForm):
    channels = forms.MultipleChoiceField(
        choices=Channel.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="None ticked: every channel.",
    )

    class Meta:
        model = Scorecard
        fields = ["name", "description", "active", "channels", "queues"]


def version_link(version):
    url = reverse("admin:quality_scorecardversion_change", args=[version.pk])
    return format_html('<a href="{}">v{}: sections and questions</a>', url, version.number)


class VersionInline(admin.TabularInline):
    model = ScorecardVersion
    fields = ("link", "created_at", "created_by")
    readonly_fields = fields
    extra = 0
    can_delete = False
    ordering = ("-number",)
    verbose_name_plural = "Versions (newest is used for new evaluations)"

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description="Version")
    def link(self, version):
        return version_link(version)


@admin.register(Scorecard)
class ScorecardAdmin(admin.ModelAdmin):
    form = ScorecardForm
    list_display = ("name", "active", "applies_to", "current", "created_at")
    filter_horizontal = ("queues",)
    search_fields = ("name",)
    inlines = [VersionInline]

    @admin.display(description="Applies to")
    def applies_to(self, scorecard):
        channels = ", ".join(scorecard.channels) or "every channel"
        queues = ", ".join(q.name for q in scorecard.queues.all()) or "every queue"
        return f"{channels}; {queues}"

    @admin.display(description="Current version")
    def current(self, scorecard):
        version = versions.current_version(scorecard)
        return version_link(version) if version else "-"

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        versions.first_version(form.instance, request.user)


class VersionedEditAdmin(admin.ModelAdmin):
    """An admin for a part of a scorecard version (the version itself, or a section) and
    its inline children. Only the current version may change; a change to a used one is
    moved, with its inlines' changes, onto a fresh copy of the version."""

    def version_of(self, obj):
        raise NotImplementedError

    def copy_of(self, obj, new_version, sections):
        """`obj`'s counterpart in the copy (None when obj is being added)."""
        raise NotImplementedError

    def move(self, obj, new_version):
        """Put `obj` (its pk already the copy's) into the new version, with its edits."""
        raise NotImplementedError

    def children_map(self, sections, questions):
        """Old pk -> copy for the objects of this admin's inline."""
        raise NotImplementedError

    def editable(self, obj):
        return (
            obj is None or versions.current_versions().filter(pk=self.version_of(obj).pk).exists()
        )

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self.editable(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (
            obj is None or not versions.is_used(self.version_of(obj))
        )

    def save_model(self, request, obj, form, change):
        # A used version is left alone; save_related moves the change to a copy.
        if not versions.is_used(self.version_of(obj)):
            super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        old = self.version_of(form.instance)
        changed = form.has_changed() or any(fs.has_changed() for fs in formsets)
        if not (changed and versions.is_used(old)):
            # Unused: saved in place. Used but unchanged: the formsets save nothing.
            return super().save_related(request, form, formsets, change)
        new, sections, questions = versions.copy_version(old, request.user)
        obj = form.instance
        target = self.copy_of(obj, new, sections)
        obj.pk = target.pk if target else None
        self.move(obj, new)
        children = self.children_map(sections, questions)
        for formset in formsets:
            for child in formset.save(commit=False):
                if child.pk is not None:
                    child.pk = children[child.pk].pk
                setattr(child, formset.fk.name, obj)
                child.save()
            for child in formset.deleted_objects:
                children[child.pk].delete()
        request.quality_copied = True
        self.message_user(
            request,
            f"{old} is used by evaluations, so this change was saved as a new version, "
            f"v{new.number}; evaluations made on v{old.number} keep it.",
            messages.WARNING,
        )
        return None

    def response_change(self, request, obj):
        response = super().response_change(request, obj)
        if getattr(request, "quality_copied", False) and "_continue" in request.POST:
            # Continue editing the copy (obj now is it), not the page posted to.
            opts = self.opts
            url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            return HttpResponseRedirect(url)
        return response


class VersionPartInline(admin.TabularInline):
    """Inline parts (sections, questions) of a scorecard version: editable only in the
    current version; deleting a used part deletes its copy in the new version instead
    (VersionedEditAdmin), so the admin's protected-objects check does not apply there."""

    extra = 0

    def version_of(self, parent):
        raise NotImplementedError

    def _editable(self, parent):
        return parent is None or (
            versions.current_versions().filter(pk=self.version_of(parent).pk).exists()
        )

    def has_add_permission(self, request, obj=None):
        return super().has_add_permission(request, obj) and self._editable(obj)

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and self._editable(obj)

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and self._editable(obj)

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        if obj is None or not versions.is_used(self.version_of(obj)):
            return formset

        class CopiedDeleteForm(formset.form):
            def hand_clean_DELETE(self):
                """Nothing used is deleted: the deletion applies to the copy."""

        formset.form = CopiedDeleteForm
        return formset


class QuestionInline(VersionPartInline):
    model = Question
    fields = ("order", "text", "kind", "weight", "allow_na", "critical", "help_text")
    formfield_overrides = {models.TextField: {"widget": forms.Textarea(attrs={"rows": 2})}}

    def version_of(self, parent):
        return parent.version


class SectionInline(VersionPartInline):
    model = Section
    fields = ("order", "title", "questions")
    readonly_fields = ("questions",)
    show_change_link = True

    def version_of(self, parent):
        return parent

    @admin.display(description="Questions")
    def questions(self, section):
        return section.questions.count() if section.pk else 0


@admin.register(ScorecardVersion)
class ScorecardVersionAdmin(VersionedEditAdmin):
    list_display = ("__str__", "created_at", "created_by")
    list_filter = ("scorecard",)
    readonly_fields = ("scorecard", "number", "created_at", "created_by")
    inlines = [SectionInline]

    def has_add_permission(self, request):
        return False  # versions are made by the scorecard and by editing (quality.versions)

    def version_of(self, obj):
        return obj

    def copy_of(self, obj, new_version, sections):
        return new_version

    def move(self, obj, new_version):
        obj.refresh_from_db()

    def children_map(self, sections, questions):
        return sections


@admin.register(Section)
class SectionAdmin(VersionedEditAdmin):
    list_display = ("title", "version", "order")
    list_filter = ("version__scorecard",)
    fields = ("version", "title", "order")
    inlines = [QuestionInline]

    def get_readonly_fields(self, request, obj=None):
        return ("version",) if obj else ()

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "version":
            kwargs["queryset"] = versions.current_versions().select_related("scorecard")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def version_of(self, obj):
        return obj.version

    def copy_of(self, obj, new_version, sections):
        return sections.get(obj.pk)

    def move(self, obj, new_version):
        obj.version = new_version
        obj.save()

    def children_map(self, sections, questions):
        return questions


@admin.register(Evaluation)
class EvaluationAdmin(admin.ModelAdmin):
    list_display = (
        "contact",
        "agent",
        "evaluator",
        "status",
        "points",
        "possible",
        "critical_failed",
    )
    list_filter = ("status",)
    raw_id_fields = ("contact", "agent", "sample_item", "calibration")


@admin.register(CoachingSession)
class CoachingSessionAdmin(admin.ModelAdmin):
    list_display = ("agent", "coach", "held_on", "follow_up_on", "followed_up_at")
    raw_id_fields = ("agent",)
