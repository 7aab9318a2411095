"""The bottom floor: what every app may use and which imports no app.

- core.roles: the roles (Django groups), the role checks and the `role_required` view
  decorator;
- core.localtime: local midnight, the bounds of a run of local days, today, a week's
  Monday, in the contact center's zone (TIME_ZONE);
- core.api: what every API v1 endpoint shares (parameters, pagination, the batch envelope);
- core.exports: the one CSV writer every table export goes through.
- core.auth: logging in, failed passwords throttled per user name and address;
- core.throttles: the API's rate limits (DRF throttles).

Imports point down only (tests/test_architecture.py): core < agents < interactions,
scheduling < kpis < demo < contactcenter. core imports Django and the standard library,
never an app of this project.
"""
