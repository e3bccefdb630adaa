from django import forms

from .models import ReminderPreference


class ReminderPreferenceForm(forms.ModelForm):
    class Meta:
        model = ReminderPreference
        fields = ["reminders_enabled", "language"]
        widgets = {
            "reminders_enabled": forms.CheckboxInput(attrs={"class": "form-check-input"}),
            "language": forms.Select(attrs={"class": "form-select"}),
        }
