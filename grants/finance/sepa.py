"""The bank files of a batch: SEPA pain.001.001.09 XML, and CSV and XLSX of the same lines.

Names and remittance texts are transliterated to the SEPA character set here, in the files only;
the database keeps them as typed. Every file's bytes depend on the batch alone (its MsgId, its
export time), never on the clock of the moment they are built.
"""

from __future__ import annotations

import functools
import hashlib
import io
import string
import unicodedata
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import sepaxml
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from sepaxml import SepaTransfer

from grants.finance.exports import Column, csv_stream
from grants.models import BatchStatus, Payment, PaymentBatch, PaymentKind
from organisations.banking import normalise_iban, valid_bic
from workflows import clock
from workflows.errors import WorkflowError

SEPA_SCHEMA = "pain.001.001.09"
# The Latin subset every SEPA bank accepts (EPC guidelines), space included.
SEPA_CHARACTERS = frozenset(string.ascii_letters + string.digits + "/-?:().,'+ ")
NAME_LIMIT = 70
REMITTANCE_LIMIT = 140
# Zip entries of the XLSX carry this time, so the file's bytes never depend on the clock.
ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)
# Readable replacements before accents are stripped (é -> e happens by decomposition).
_READABLE = str.maketrans(
    {
        "ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss", "ẞ": "SS",
        "œ": "oe", "Œ": "Oe", "æ": "ae", "Æ": "Ae", "ø": "o", "Ø": "O", "å": "aa", "Å": "Aa",
        "ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "þ": "th", "Þ": "Th",
        "ı": "i", "ĳ": "ij", "Ĳ": "IJ",
        **dict.fromkeys("‐‑‒–—―−⁃", "-"),
        **dict.fromkeys("‘’‚‛′`´\"“”„‟″", "'"),
        # Guillemets only frame the words they quote: the words stay, the marks go.
        **dict.fromkeys("«»‹›", ""),
        **dict.fromkeys("\t\n\r\v\f", " "),
    }
)  # fmt: skip

# The remittance text in the applicant's language: "<reference> Zuschuss Abschlag <title>".
REMITTANCE_WORDS: dict[str, tuple[str, dict[str, str]]] = {
    "de": ("Zuschuss", {"advance": "Abschlag", "instalment": "Rate", "balance": "Restzahlung"}),
    "fr": ("Subvention", {"advance": "avance", "instalment": "tranche", "balance": "solde"}),
    "en": ("Grant", {"advance": "advance", "instalment": "instalment", "balance": "balance"}),
}


def sepa_text(value: str, *, limit: int) -> str:
    """`value` in the SEPA character set, readable (Müller -> Mueller, é -> e, — -> -), spaces
    collapsed, cut to `limit`; every other character is removed."""
    text = unicodedata.normalize("NFKC", value or "").translate(_READABLE)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if char in SEPA_CHARACTERS)
    return " ".join(text.split())[:limit].rstrip()


def payment_label(payment: Payment) -> str:
    """The application's reference (BF-2026-00042), which every line and message names."""
    return payment.grant.application.reference or payment.end_to_end_id


def creditor_name(payment: Payment) -> str:
    organisation = payment.grant.application.organisation
    return sepa_text(organisation.bank_account_holder, limit=NAME_LIMIT) or sepa_text(
        organisation.name, limit=NAME_LIMIT
    )


def remittance(payment: Payment) -> str:
    """The remittance text in the application's language (<= 140), reference first, e.g.
    "BF-2026-00042 Zuschuss Abschlag Jugendbegegnung Koeln-Lyon"."""
    application = payment.grant.application
    grant_word, kinds = REMITTANCE_WORDS.get(application.language, REMITTANCE_WORDS["de"])
    kind = kinds.get(payment.kind, kinds[PaymentKind.INSTALMENT])
    return sepa_text(
        f"{payment_label(payment)} {grant_word} {kind} {application.title}", limit=REMITTANCE_LIMIT
    )


@dataclass(frozen=True)
class SepaLine:
    """One credit transfer as it goes to the bank (already in the SEPA character set)."""

    end_to_end_id: str
    reference: str
    name: str
    iban: str
    bic: str
    amount: Decimal
    remittance: str


def sepa_line(payment: Payment) -> SepaLine:
    organisation = payment.grant.application.organisation
    return SepaLine(
        end_to_end_id=payment.end_to_end_id,
        reference=payment_label(payment),
        name=creditor_name(payment),
        iban=normalise_iban(organisation.iban),
        bic=valid_bic(organisation.bic),
        amount=payment.amount,
        remittance=remittance(payment),
    )


class _Transfer(SepaTransfer):  # type: ignore[misc]
    """sepaxml's transfer with our MsgId, creation time and PmtInfId instead of random ones."""

    def __init__(self, config: dict[str, Any], *, message_id: str, created: datetime) -> None:
        self._message_id, self._created = message_id, created
        super().__init__(config, schema=SEPA_SCHEMA, clean=True)

    def _create_header(self) -> None:
        self.msg_id = self._message_id
        super()._create_header()
        header = self._xml.find("CstmrCdtTrfInitn/GrpHdr")
        created = timezone.localtime(self._created)
        header.find("CreDtTm").text = created.strftime("%Y-%m-%dT%H:%M:%S")

    def _finalize_batch(self) -> None:
        super()._finalize_batch()
        for number, node in enumerate(self._xml.iter("PmtInfId"), start=1):
            node.text = f"{self._message_id}-{number}"


@functools.cache
def _sepa_schema() -> Any:
    """sepaxml's bundled XSD, parsed once per process (about 0.3 s; sepaxml's own
    `export(validate=True)` parses it again for every file)."""
    import xmlschema  # late, as sepaxml does: imported early it upsets ElementTree

    return xmlschema.XMLSchema(Path(sepaxml.__file__).parent / "schemas" / f"{SEPA_SCHEMA}.xsd")


def _check_against_the_schema(xml: bytes) -> None:
    import xmlschema

    try:
        _sepa_schema().validate(xml.decode())
    except xmlschema.XMLSchemaValidationError as invalid:
        raise WorkflowError(
            _("The bank file could not be built: a line does not meet the SEPA rules."),
            code="sepa_invalid",
        ) from invalid


def build_sepa_xml(batch: PaymentBatch, lines: Sequence[SepaLine]) -> bytes:
    """The pain.001.001.09 file (BICFI, SLEV), validated against sepaxml's bundled XSD."""
    config = {
        "name": sepa_text(batch.debtor_name, limit=NAME_LIMIT),
        "IBAN": batch.debtor_iban,
        "currency": "EUR",
        "batch": True,
    }
    if valid_bic(batch.debtor_bic):
        config["BIC"] = valid_bic(batch.debtor_bic)
    transfer = _Transfer(
        config, message_id=batch.message_id, created=batch.exported_at or clock.now()
    )
    for line in lines:
        payment = {
            "name": line.name,
            "IBAN": line.iban,
            "amount": int(line.amount * 100),
            "execution_date": batch.execution_date,
            "description": line.remittance,
            "endtoend_id": line.end_to_end_id,
        }
        if line.bic:
            payment["BIC"] = line.bic
        transfer.add_payment(payment)
    xml = bytes(transfer.export(validate=False))
    _check_against_the_schema(xml)
    return xml


# The CSV has the format of the approvals export (grants.finance.exports), agreed with accounting.
BATCH_COLUMNS: tuple[Column, ...] = (
    Column("message_id", "text"),
    Column("execution_date", "date"),
    Column("end_to_end_id", "text"),
    Column("reference", "text"),
    Column("creditor_name", "text"),
    Column("creditor_iban", "text"),
    Column("creditor_bic", "text"),
    Column("amount", "amount"),
    Column("currency", "text"),
    Column("remittance", "text"),
)
CSV_COLUMNS = tuple(column.key for column in BATCH_COLUMNS)


def _rows(batch: PaymentBatch, lines: Sequence[SepaLine]) -> Iterator[list[Any]]:
    return (
        [
            batch.message_id,
            batch.execution_date,
            line.end_to_end_id,
            line.reference,
            line.name,
            line.iban,
            line.bic,
            line.amount,
            "EUR",
            line.remittance,
        ]
        for line in lines
    )


def build_csv(batch: PaymentBatch, lines: Sequence[SepaLine]) -> bytes:
    """The same lines as the XML, as the approvals export writes CSV: a BOM, `;`, ISO dates,
    amounts with a decimal point, and no text cell that a spreadsheet would take for a formula
    (a creditor's name is typed by the applicant)."""
    return "".join(csv_stream(BATCH_COLUMNS, _rows(batch, lines))).encode()


def build_xlsx(batch: PaymentBatch, lines: Sequence[SepaLine]) -> bytes:
    """The same lines as the XML as a workbook whose bytes depend only on the batch: document
    times are the export's, zip entries carry a fixed time; text never becomes a formula.
    Written row by row (openpyxl's write-only mode), so a big batch costs no cell objects."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter
    from openpyxl.writer.excel import ExcelWriter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("SEPA")
    for index, width in enumerate((16, 12, 18, 16, 40, 28, 13, 12, 6, 70), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)

    def header(title: str) -> WriteOnlyCell:
        cell = WriteOnlyCell(sheet, value=title)
        cell.font = bold
        return cell

    def cell(value: Any) -> WriteOnlyCell:
        written = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str):
            written.data_type = "s"  # "=..." stays text, never a formula
        elif isinstance(value, Decimal):
            written.number_format = "0.00"
        elif isinstance(value, date):
            written.number_format = "yyyy-mm-dd"
        return written

    sheet.append([header(title) for title in CSV_COLUMNS])
    for row in _rows(batch, lines):
        sheet.append([cell(value) for value in row])
    stamp = timezone.localtime(batch.exported_at or clock.now()).replace(tzinfo=None, microsecond=0)
    workbook.properties.creator = "microgrants"
    workbook.properties.title = batch.message_id
    workbook.properties.created = workbook.properties.modified = stamp
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as archive:
        # Not openpyxl's save_workbook(): it stamps `modified` with the current time.
        ExcelWriter(workbook, archive).save()
    return _zip_without_times(raw.getvalue())


def _zip_without_times(data: bytes) -> bytes:
    """The same archive with every entry's time set to ZIP_EPOCH (same order, same content)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            info = zipfile.ZipInfo(entry.filename, date_time=ZIP_EPOCH)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            target.writestr(info, source.read(entry.filename))
    return out.getvalue()


FILE_KINDS = {
    "xml": ("sepa", "application/xml"),
    "csv": ("csv", "text/csv; charset=utf-8"),
    "xlsx": ("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
}


class BatchFileError(WorkflowError):
    code = "batch_file"
    http_status = 409


def batch_file(batch: PaymentBatch, kind: str) -> tuple[str, bytes, str]:
    """(download name, stored bytes, content type) of one file of an exported batch; refused
    when the stored bytes no longer match the SHA-256 recorded at export."""
    if kind not in FILE_KINDS or batch.status == BatchStatus.DRAFT:
        raise BatchFileError(_("This batch has no such file."), code="no_file")
    field_name, content_type = FILE_KINDS[kind]
    stored = getattr(batch, f"{field_name}_file")
    if not stored.name:
        raise BatchFileError(_("This batch has no such file."), code="no_file")
    with stored.storage.open(stored.name, "rb") as handle:
        content = handle.read()
    if hashlib.sha256(content).hexdigest() != getattr(batch, f"{field_name}_sha256"):
        raise BatchFileError(
            _("The stored file does not match its fingerprint; it was changed after export."),
            code="file_altered",
        )
    return f"{batch.message_id}.{kind}", content, content_type
