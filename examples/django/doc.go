// Package django is the example Django 3.2 project (manage.py, mysite/,
// templates/) deployed behind portcullis, with the portcullis.toml a user
// would deploy in front of it. It holds no Go code besides its end-to-end
// tests, which run the project under gunicorn behind `portcullis serve` on
// loopback and check what each side does: see README.md, and
// docs/django.md for how Django's security settings map to portcullis.
package django
