"""Report dialogs and the PDF writer."""
