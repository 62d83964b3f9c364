"""Meta (Facebook/Instagram) custom and lookalike audiences through the facebook-business SDK."""
