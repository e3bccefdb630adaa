"""The provider's claims about its users: the e-mail, verified unless the user's last name
says "unverified" (how the tests make an identity whose address the provider did not check).
"""


def userinfo(claims, user):
    claims["name"] = user.get_full_name() or user.username
    claims["email"] = user.email
    claims["email_verified"] = user.last_name != "unverified"
    return claims
