"""Test and benchmark helpers: a synthetic transaction-file generator and moto-backed AWS
fixtures. Never shipped to Lambda."""
