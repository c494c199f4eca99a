"""HTML forms: the JS-off path of every action (HTMX only enhances them)."""

from django import forms

from games import rules
from games.boards import colours
from games.models import Room


def _bounded(name: str, initial: int, **kwargs) -> forms.IntegerField:
    low, high = rules.LIMITS[name]
    return forms.IntegerField(min_value=low, max_value=high, initial=initial, **kwargs)


class RoomSettingsForm(forms.Form):
    name = forms.CharField(max_length=60, required=False, strip=True)
    code_length = _bounded("code_length", 4)
    # The house's user-facing spelling; the field keeps the API's name.
    colors = _bounded("colors", 6, label="Colours")
    max_guesses = _bounded("max_guesses", 10)
    allow_duplicates = forms.BooleanField(required=False, initial=True)


class CreateRoomForm(RoomSettingsForm):
    mode = forms.ChoiceField(choices=Room.Mode.choices, initial=Room.Mode.RACE)
    max_players = forms.IntegerField(
        min_value=1, max_value=8, required=False, help_text="Solo 1, duel 2, co-op and race 2–8."
    )
    private = forms.BooleanField(required=False)
    rated = forms.BooleanField(required=False, help_text="Race and duel between people: ratings change.")

    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        if not data["name"]:
            data.pop("name")
        if data.get("max_players") is None:
            data.pop("max_players", None)
        return data


class QuickPlayForm(RoomSettingsForm):
    def service_kwargs(self) -> dict:
        data = dict(self.cleaned_data)
        if not data["name"]:
            data.pop("name")
        return data


class CodeForm(forms.Form):
    """One select per peg (peg_0, peg_1, …), each colour labelled by number and name."""

    def __init__(self, *args, code_length: int, colors: int, **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(str(c["index"]), f"{c['number']} {c['symbol']} {c['name']}") for c in colours(colors)]
        for i in range(code_length):
            self.fields[f"peg_{i}"] = forms.TypedChoiceField(
                choices=choices, coerce=int, label=f"Peg {i + 1}"
            )
        self.code_length = code_length

    def code(self) -> list[int]:
        return [self.cleaned_data[f"peg_{i}"] for i in range(self.code_length)]

    def picked(self) -> list[int | None]:
        """Each peg's valid colour, None where it is missing or wrong (after is_valid)."""
        return [self.cleaned_data.get(f"peg_{i}") for i in range(self.code_length)]


class ChatForm(forms.Form):
    text = forms.CharField(max_length=500, strip=True)
