"""Calibration of grounding scores: temperature scaling, ECE, abstention and ambiguity thresholds."""

from grounding.calibration.abstention import AbstentionReport, abstention_report
from grounding.calibration.ece import expected_calibration_error, reliability_bins
from grounding.calibration.fit import CalibrationReport, calibrate
from grounding.calibration.params import CalibrationParams, calibration_path
from grounding.calibration.temperature import TemperatureFit, fit_temperature, pad_logits, softmax_t
from grounding.calibration.thresholds import choose_ambiguity_margin, choose_not_found_threshold

__all__ = [
    "AbstentionReport",
    "CalibrationParams",
    "CalibrationReport",
    "TemperatureFit",
    "abstention_report",
    "calibrate",
    "calibration_path",
    "choose_ambiguity_margin",
    "choose_not_found_threshold",
    "expected_calibration_error",
    "fit_temperature",
    "pad_logits",
    "reliability_bins",
    "softmax_t",
]
