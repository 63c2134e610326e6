"""The credentials context's domain: the certificate catalogue, credit accounts, eligibility, order classes."""

from services.credentials.domain.account import AVAILABLE, CreditAccount, credit_account_id
from services.credentials.domain.catalogue import LEVELS, Certificate, certificate_id
from services.credentials.domain.eligibility import CompetencyFigures, check
from services.credentials.domain.order import OrderClass

__all__ = ["AVAILABLE", "LEVELS", "Certificate", "CompetencyFigures", "CreditAccount", "OrderClass",
           "certificate_id", "check", "credit_account_id"]
