"""The partner exchange (Partnerbörse / bourse aux partenaires): organisations post whom they
are looking for across the border, visitors browse the posts without signing in, and contact
goes through the platform, which relays it by e-mail without disclosing anyone's address until
the poster answers.

Above `reviews` and below `public`: it reads organisations, the fund and applications (an
application started with a partner goes through the applicant side's own draft service).
"""
