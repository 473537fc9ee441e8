"""Messages as the API shows them to staff."""

from __future__ import annotations

from rest_framework import serializers

from conversations.models import Message, MessageFile


class MessageFileSerializer(serializers.ModelSerializer[MessageFile]):
    name = serializers.CharField(source="original_name", read_only=True)

    class Meta:
        model = MessageFile
        fields = ["id", "name", "content_type", "size", "sha256"]
        read_only_fields = fields


class MessageSerializer(serializers.ModelSerializer[Message]):
    application = serializers.IntegerField(
        source="conversation.application_id", read_only=True, help_text="the application's id"
    )
    reference = serializers.CharField(
        source="conversation.application.reference", read_only=True, allow_null=True
    )
    author = serializers.SerializerMethodField(help_text="the author's name")
    from_fund = serializers.BooleanField(
        read_only=True, help_text="written by the fund's staff (else by the organisation)"
    )
    internal = serializers.BooleanField(
        read_only=True, help_text="an internal note: the applicant never reads it"
    )
    change_request = serializers.SerializerMethodField(
        help_text="the message became the formal request for changes"
    )
    files = MessageFileSerializer(many=True, read_only=True)

    class Meta:
        model = Message
        fields = [
            "id",
            "application",
            "reference",
            "author",
            "from_fund",
            "internal",
            "body",
            "created_at",
            "change_request",
            "files",
        ]
        read_only_fields = fields

    def get_author(self, message: Message) -> str:
        return message.author.get_full_name() or message.author.get_username()

    def get_change_request(self, message: Message) -> bool:
        return message.change_request_id is not None
