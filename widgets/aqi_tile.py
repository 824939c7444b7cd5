"""AqiTile: the large VN_AQI tile — band colour, index, band name, dominant pollutant, advice.

Colours, band names and advice follow Decision 1459/QĐ-TCMT (Bảng 1 and Bảng 5); the
numbers come from controlroom.sensors.vn_aqi, the tile only shows them.
"""

from __future__ import annotations

from PyQt6.QtWidgets import QWidget

from controlroom.i18n import tr
from controlroom.sensors.vn_aqi import AqiBand, AqiResult
from controlroom.widgets.sensor_tile import TileFrame

POLLUTANT_LABELS = {"pm25": "PM2.5", "pm10": "PM10", "o3": "O₃", "co": "CO", "so2": "SO₂", "no2": "NO₂"}


def band_name(band: AqiBand) -> str:
    """Bảng 1 names: Tốt, Trung bình, Kém, Xấu, Rất xấu, Nguy hại."""
    return {
        "good": tr("Good"),
        "moderate": tr("Moderate"),
        "poor": tr("Poor"),
        "bad": tr("Bad"),
        "very_bad": tr("Very bad"),
        "hazardous": tr("Hazardous"),
    }[band.key]


def band_advice(band: AqiBand) -> tuple[str, str]:
    """Bảng 5 recommendations: (everyone, sensitive groups)."""
    return {
        "good": (tr("Enjoy outdoor activities freely."), tr("Enjoy outdoor activities freely.")),
        "moderate": (
            tr("Enjoy outdoor activities freely."),
            tr("Watch for symptoms such as coughing or shortness of breath; outdoor activity is still possible."),
        ),
        "poor": (
            tr("People with sore eyes, cough or sore throat should consider reducing outdoor activity."),
            tr("Reduce strenuous activity and time spent outdoors."),
        ),
        "bad": (
            tr("Everyone should reduce strenuous outdoor activity and avoid prolonged exercise."),
            tr("Stay indoors and reduce strenuous activity; wear a proper mask if you must go out."),
        ),
        "very_bad": (
            tr("Everyone should keep outdoor activity to a minimum and move activities indoors."),
            tr("Stay indoors and reduce strenuous activity."),
        ),
        "hazardous": (
            tr("Everyone should stay indoors with doors and windows closed; wear a proper mask if you must go out."),
            tr("Everyone should stay indoors with doors and windows closed; wear a proper mask if you must go out."),
        ),
    }[band.key]


def text_colour(band: AqiBand) -> str:
    r, g, b = band.rgb
    return "#000000" if (0.299 * r + 0.587 * g + 0.114 * b) > 128 else "#ffffff"


class AqiTile(TileFrame):
    def __init__(self, address: str, station_name: str, parent: QWidget | None = None) -> None:
        super().__init__(address, parent)
        self.setMinimumSize(260, 200)
        self.result: AqiResult | None = None
        self.title_label = self.scaled_label(0.07, bold=True)
        self.title_label.setText(tr("VN_AQI (hourly)"))
        self.station_label = self.scaled_label(0.05)
        self.station_label.setText(station_name)
        self.value_label = self.scaled_label(0.21, bold=True)
        self.band_label = self.scaled_label(0.08, bold=True)
        self.dominant_label = self.scaled_label(0.055)
        self.advice_label = self.scaled_label(0.085, wrap=True)
        self.sensitive_label = self.scaled_label(0.075, wrap=True)
        self.show_result(None)

    def show_result(self, result: AqiResult | None, stale_note: str = "") -> None:
        """Show an index, or "not enough data" (1459 needs PM2.5 or PM10)."""
        self.result = result
        if result is None:
            self.value_label.setText("—")
            self.band_label.setText(tr("Not enough data"))
            self.dominant_label.setText(tr("VN_AQI needs PM2.5 or PM10 from the last hours"))
            self.advice_label.setText(stale_note)
            self.sensitive_label.setText("")
            self.set_state("no_data")
            self.colour_text("#ffffff")
            return
        band = result.band
        general, sensitive = band_advice(band)
        self.value_label.setText(str(result.value))
        self.band_label.setText(band_name(band))
        self.dominant_label.setText(tr("Dominant pollutant: {name} (sub-index {value})",
                                       name=POLLUTANT_LABELS.get(result.dominant, result.dominant),
                                       value=result.sub_indices.get(result.dominant, result.value)))
        self.advice_label.setText(general + (f"\n{stale_note}" if stale_note else ""))
        self.sensitive_label.setText(tr("Sensitive groups: {advice}", advice=sensitive))
        self.set_state(band.key, band.hex)
        self.colour_text(text_colour(band))
        self.fit_labels()


def _demo() -> None:  # python -m controlroom.widgets.aqi_tile
    from PyQt6.QtWidgets import QApplication

    from controlroom.sensors.vn_aqi import hourly_aqi

    app = QApplication([])
    tile = AqiTile("aqi/demo", "Trạm quan trắc không khí UBND xã")
    tile.show_result(hourly_aqi({"pm25": [62.0, 58.0, 55.0] + [40.0] * 9, "no2": [118.7]}))
    tile.resize(520, 380)
    tile.show()
    app.exec()


if __name__ == "__main__":
    _demo()
