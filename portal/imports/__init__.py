"""Imports of bookings and companies from CSV and XLSX exports."""
