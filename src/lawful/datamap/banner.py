"""The map's `banner:` section: the texts and colours of the cookie banner Lawful serves.

Every field is optional: unset, the banner says what it always said. Colours must keep text
readable: a contrast of at least 4.5:1 between each text and its background (WCAG 2.1 success
criterion 1.4.3), so a banner cannot be made hard to read. Accept and reject share one colour
(CNIL délibération 2020-092 §33: refusing must be as easy as accepting).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

HEX_COLOUR = r"^#[0-9a-fA-F]{6}$"
MIN_CONTRAST = 4.5  # WCAG 2.1 SC 1.4.3, normal text


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _colour(default: str, what: str) -> str:
    return Field(default=default, pattern=HEX_COLOUR, description=f"{what}, as #rrggbb")


class BannerColours(_Section):
    background: str = _colour("#ffffff", "The banner's background")
    text: str = _colour("#1a1a1a", "The banner's text")
    button: str = _colour("#1f4e8c", "Every button's background (accept and reject alike)")
    button_text: str = _colour("#ffffff", "The buttons' text")
    link: str = _colour("#1f4e8c", "The privacy notice link")

    @model_validator(mode="after")
    def _readable(self) -> BannerColours:
        pairs = (("text", self.text, "background", self.background),
                 ("button_text", self.button_text, "button", self.button),
                 ("link", self.link, "background", self.background))  # fmt: skip
        for fore_name, fore, back_name, back in pairs:
            ratio = contrast(fore, back)
            if ratio < MIN_CONTRAST:
                raise ValueError(
                    f"{fore_name} {fore} on {back_name} {back} has a contrast of {ratio:.1f}:1, "
                    f"below {MIN_CONTRAST}:1 (WCAG 2.1 SC 1.4.3): darken one or lighten the "
                    "other"
                )
        return self


class CookieBanner(_Section):
    title: str | None = Field(
        default=None,
        max_length=200,
        description='Heading. Default: "Your choices about cookies on <organisation>".',
    )
    message: str | None = Field(
        default=None, max_length=1000, description="The sentence under the heading."
    )
    accept_all: str = Field(default="Accept all", min_length=1, max_length=40)
    reject_all: str = Field(default="Reject all", min_length=1, max_length=40)
    choose: str = Field(default="Choose", min_length=1, max_length=40)
    save: str = Field(default="Save my choices", min_length=1, max_length=40)
    notice_link: str = Field(default="Privacy notice", min_length=1, max_length=60)
    colours: BannerColours = Field(default_factory=BannerColours)


def contrast(first: str, second: str) -> float:
    """WCAG 2.1 contrast ratio of two #rrggbb colours, from 1 to 21."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _luminance(colour: str) -> float:
    """WCAG 2.1 relative luminance."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]
