#!/bin/sh
# What an application behind mod_shib sees: REMOTE_USER and the attributes, as variables
# (Apache turns the "-" of names like Shib-Identity-Provider into "_" for CGI).
printf 'Content-Type: text/plain\r\n\r\n'
env | sort
