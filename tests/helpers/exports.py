"""Reading the lists' exports back as a user's spreadsheet program would."""

import io

import openpyxl


def read_xlsx(response):
    """The rows of an Excel export, each a list of cell values. The file is sent from disk
    in blocks (a streamed response), like the CSV."""
    body = b"".join(response.streaming_content)
    workbook = openpyxl.load_workbook(io.BytesIO(body), read_only=True)
    return [list(row) for row in workbook.active.iter_rows(values_only=True)]
