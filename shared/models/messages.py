"""Follow-up message bodies, as the seed spells them: Message.content.{URLs,MessageType,Message}."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AnyHttpUrl, Field

from shared.models.common import ApiModel

HttpUrl = Annotated[AnyHttpUrl, Field(max_length=2048)]


class MessageContent(ApiModel):
    urls: list[HttpUrl] = Field(default_factory=list, alias="URLs", max_length=20)
    message_type: Literal["text", "link", "file"] = Field("text", alias="MessageType")
    message: str = Field(alias="Message", min_length=1, max_length=4000)


class Message(ApiModel):
    content: MessageContent
